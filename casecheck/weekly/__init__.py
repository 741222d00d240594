"""The weekly loop: run history, waivers and trends over time."""
