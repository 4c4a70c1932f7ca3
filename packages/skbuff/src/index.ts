export const PLACEHOLDER_SKBUFF = 1;
