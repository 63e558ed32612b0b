"""Style packs (data), the code that draws the built-in ones (`styles.draw`) and the script that
writes their SVG parts (`styles.generate`)."""
