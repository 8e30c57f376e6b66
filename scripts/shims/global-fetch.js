// amazon-cognito-identity-js imports isomorphic-unfetch only to make sure a global fetch exists.
// Node 20 has one built in, so the bundle uses that instead of carrying node-fetch and its URL stack.
export {};
