// lowp/matmul: filled in by its issue.
export {};
