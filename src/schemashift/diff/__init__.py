"""Operations between two schemas and the differ that finds them (no dialect here)."""
