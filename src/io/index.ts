// lowp/io: filled in by its issue.
export {};
