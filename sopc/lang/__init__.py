"""Stage 1, language: grammar -> parse -> AST. Text of one `.sop` file in,
frozen AST nodes with spans and syntax diagnostics out."""
