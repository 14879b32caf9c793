"""Chapter 6 exercises (each module is a standalone script)."""
