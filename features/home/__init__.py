"""The Home page: a live example picture, the lesson presets as the way in, the page list."""
