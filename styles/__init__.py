"""Style packs (data) and the script that generates their SVG parts (`styles.generate`)."""
