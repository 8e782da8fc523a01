"""Publication copies: rebuilt from an allow-list, then leak-checked."""
