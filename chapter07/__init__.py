"""Chapter 7 exercises (each module is a standalone script)."""
