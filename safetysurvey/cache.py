"""Django's Redis cache backend, keeping one redis.Redis client per connection pool.

Django's RedisCacheClient makes a new redis.Redis object for every cache call, and
redis-py builds its table of response callbacks (some 170 entries) in each constructor:
a noticeable share of the CPU of a survey submission, which asks the cache up to three
times (surveys/ratelimit.py; BENCHMARKS.md, "Ingest"). A client holds no per-call state
and is safe to share (the pool hands out connections), so one per pool is enough.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
