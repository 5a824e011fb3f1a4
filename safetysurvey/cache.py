"""Django's Redis cache backend, made cheaper for the survey's per-address counters.

- Django's RedisCacheClient makes a new redis.Redis object for every cache call, and
  redis-py builds its table of response callbacks (some 170 entries) in each constructor.
  A client holds no per-call state and is safe to share (the pool hands out connections),
  so one per pool is enough.
- Django's incr() is EXISTS then INCRBY: two round trips, and not atomic (a key expiring
  in between comes back without a timeout). Here it is one server-side script.

Every survey submission asks the cache twice (surveys/ratelimit.py); BENCHMARKS.md,
"Ingest", has the effect.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient

# INCRBY only an existing key (Django's incr() raises ValueError for a missing one).
INCR_EXISTING = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('INCRBY', KEYS[1], ARGV[1])
end
return nil
"""


class ReusingRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}
        self._incr_scripts = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    def incr(self, key, delta):
        client = self.get_client(key, write=True)
        script = self._incr_scripts.get(id(client))
        if script is None:
            script = self._incr_scripts[id(client)] = client.register_script(INCR_EXISTING)
        value = script(keys=[key], args=[delta])
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
