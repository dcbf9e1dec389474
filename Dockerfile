FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 ENGAGEMENT_ENV=production
WORKDIR /app

COPY pyproject.toml README.md ./
COPY domain ./domain
COPY api ./api
COPY workers ./workers
COPY cli ./cli
COPY demo ./demo
RUN pip install --no-cache-dir . && useradd --system --uid 10001 engagement

USER engagement
EXPOSE 8000
CMD ["engagement", "serve", "--host", "0.0.0.0", "--port", "8000"]
