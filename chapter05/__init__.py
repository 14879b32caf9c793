"""Chapter 5 exercises (each module is a standalone script)."""
