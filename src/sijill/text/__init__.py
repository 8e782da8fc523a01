"""The bottom layer for text: normalisation for search and matching, subtitle rendering.

Imports nothing from sijill above it: storage, stages and services all use it."""
