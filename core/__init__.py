"""sayso's domain: knows neither aiogram nor FastAPI."""
