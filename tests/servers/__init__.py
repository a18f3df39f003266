"""Real servers the tests start on loopback: one small module each."""
