def slugify(text):
	words = text.lower().split()
	return "-".join(words)


def truncate(text, limit):
	if len(text) <= limit:
		return text
	return text[:limit] + "..."
