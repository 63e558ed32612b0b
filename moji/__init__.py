"""The `moji` command: one entry point for rendering, styles, the service and research tools."""
