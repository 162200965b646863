"""Reading the sources: newsletter.yaml and items/*.yaml into frozen, validated values."""
