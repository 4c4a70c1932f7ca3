/** Port the netlayers load generator's sink listens on (on 198.18.0.2). @module */
export const SINK_PORT = 2526;
