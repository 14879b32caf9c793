"""Chapter 2 exercises (each module is a standalone script)."""
