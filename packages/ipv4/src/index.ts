export const PLACEHOLDER_IPV4 = 1;
