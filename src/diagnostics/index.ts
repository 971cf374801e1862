// lowp/diagnostics: filled in by its issue.
export {};
