FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY core core
COPY bot bot
COPY api api
COPY content content
COPY locales locales
RUN pip install --no-cache-dir . && python -c "from core.i18n import compile_catalogues; from pathlib import Path; compile_catalogues(Path('locales'))"
ENV SAYSO_CONTENT_DIR=/app/content SAYSO_LOCALES_DIR=/app/locales \
    SAYSO_SAFEGUARDING_DIR=/app/content/safeguarding SAYSO_EXPORT_DIR=/app/data/exports \
    SAYSO_CACHE_DIR=/app/data/cache \
    SAYSO_DATABASE_URL=sqlite+aiosqlite:////app/data/sayso.db
RUN useradd --create-home sayso && mkdir -p /app/data && chown sayso /app/data /app/locales -R
USER sayso
EXPOSE 8000
CMD ["sayso", "serve"]
