"""Chapter 8 exercises (each module is a standalone script)."""
