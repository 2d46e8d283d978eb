"""Question banks' question types and the file formats trainers already have."""
