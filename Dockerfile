# One image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PV_VAR_DIR=/app/var
WORKDIR /app

COPY requirements.txt constraints.txt ./
RUN pip install --no-cache-dir --upgrade pip "setuptools<81" wheel \
 && pip install --no-cache-dir --no-build-isolation -r requirements.txt -c constraints.txt

COPY . .
RUN DEBUG=true python manage.py collectstatic --noinput \
 && useradd --create-home --uid 1000 pv && mkdir -p /app/var && chown -R pv /app/var
USER pv

EXPOSE 8000
# gthread workers sized to the cores (gunicorn.conf.py; WEB_CONCURRENCY / GUNICORN_THREADS override).
CMD ["gunicorn", "pv_tracker.wsgi:application", "--config", "gunicorn.conf.py"]
