export const PLACEHOLDER_TCP = 1;
