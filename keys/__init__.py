"""Key material handling: generation, loading and checks. Never real keys in git."""
