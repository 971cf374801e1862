// lowp/quant: filled in by its issue.
export {};
