"""Chapter 3 exercises (each module is a standalone script)."""
