// The client SDK's public surface (filled by the client issue).
export {};
