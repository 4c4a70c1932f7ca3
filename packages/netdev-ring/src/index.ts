import { PLACEHOLDER_SKBUFF } from '@netlayers/skbuff'; export const PLACEHOLDER_NETDEV_RING = PLACEHOLDER_SKBUFF;
