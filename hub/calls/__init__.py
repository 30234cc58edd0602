"""Voice calls between operator consoles and the homes' speakerphones, relayed by the hub."""
