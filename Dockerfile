# One image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PV_VAR_DIR=/app/var
WORKDIR /app

COPY requirements.txt constraints.txt ./
RUN pip install --no-cache-dir --upgrade pip "setuptools<81" wheel \
 && pip install --no-cache-dir --no-build-isolation -r requirements.txt -c constraints.txt

COPY . .
# The code version, fixed for every container of this image (reports record it); pass
# --build-arg CODE_VERSION="$(git describe --always --dirty --tags)", else the package version and build time.
ARG CODE_VERSION=""
RUN if [ -n "$CODE_VERSION" ]; then echo "git:$CODE_VERSION"; \
    else echo "$(python -c 'import tomllib; print("pv-tracker", tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])') built $(date -u +%Y-%m-%dT%H:%M:%SZ)"; fi > CODE_VERSION
RUN DEBUG=true python manage.py collectstatic --noinput \
 && useradd --create-home --uid 1000 pv && mkdir -p /app/var && chown -R pv /app/var
USER pv

EXPOSE 8000
# gthread workers sized to the cores (gunicorn.conf.py; WEB_CONCURRENCY / GUNICORN_THREADS override).
CMD ["gunicorn", "pv_tracker.wsgi:application", "--config", "gunicorn.conf.py"]
