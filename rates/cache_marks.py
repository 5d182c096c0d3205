"""The Redis side of rates.cache's versions: writes in flight, fresh versions, a new server.

A base's version in Redis is a number ("7"). While writes touching the base are in flight (marked
before their COMMIT, not yet given fresh versions after it) it is that number followed by each of
those writers and when it marked, e.g. "7:w:3f9a0c1d2e4b@1765148400.52,a1b2c3d4e5f6@1765148401.1".
A reader seeing such a value neither uses nor keeps a cached answer of the base (rates.cache).
A mark older than KOEL_CACHE_WRITE_SECONDS no longer counts: a writer killed between its mark and
its settling must not turn caching off for good.

Each step is one Lua script, atomic, so that a reader's MGET sees every base of a write and the
generation marked together, or none of them.
"""

# A version value and its writers: (number, {{writer, when-as-written, when}}). A value that is
# no number (evicted and re-made by hand, say) counts as 0.
_PARSE = """
local function parse(value)
  if not value then return 0, {} end
  local number, rest = string.match(value, '^(%d+):w:(.*)$')
  if not number then return tonumber(value) or 0, {} end
  local writers = {}
  for writer, at in string.gmatch(rest, '([^,@]+)@([^,]+)') do
    writers[#writers + 1] = {writer, at, tonumber(at) or 0}
  end
  return tonumber(number), writers
end
-- The writers still in flight other than `me`: marked after `since`.
local function others(writers, me, since)
  local kept = {}
  for _, w in ipairs(writers) do
    if w[1] ~= me and w[3] > since then kept[#kept + 1] = w[1] .. '@' .. w[2] end
  end
  return kept
end
"""

# KEYS: the generation, then the bases' versions. ARGV: the writer, now, the bound in seconds,
# the generation while in flight (a token no replayed entry is stored under).
MARK = (
    _PARSE
    + """
local me, now = ARGV[1], ARGV[2]
local since = tonumber(now) - tonumber(ARGV[3])
for i = 2, #KEYS do
  local number, writers = parse(redis.call('GET', KEYS[i]))
  local kept = others(writers, me, since)
  kept[#kept + 1] = me .. '@' .. now
  redis.call('SET', KEYS[i], number .. ':w:' .. table.concat(kept, ','))
end
redis.call('SET', KEYS[1], ARGV[4])
"""
)

# The write `me` is over (committed, or rolled back): each base gets a number never used before,
# still marked while other writers are in flight. KEYS: the generation, the catalog version, the
# catalog token, then the bases' versions. ARGV: the writer ('' for none), now, the bound, the new
# generation, the new catalog version and catalog token ('' to leave the catalog alone).
SETTLE = (
    _PARSE
    + """
local me = ARGV[1]
local since = tonumber(ARGV[2]) - tonumber(ARGV[3])
for i = 4, #KEYS do
  local number, writers = parse(redis.call('GET', KEYS[i]))
  local kept = others(writers, me, since)
  local value = tostring(number + 1)
  if #kept > 0 then value = value .. ':w:' .. table.concat(kept, ',') end
  redis.call('SET', KEYS[i], value)
end
if ARGV[5] ~= '' then
  redis.call('SET', KEYS[2], ARGV[5])
  redis.call('SET', KEYS[3], ARGV[6])
end
redis.call('SET', KEYS[1], ARGV[4])
"""
)

# Run on every new connection. A Redis server started since the caches were last checked (a
# restart, a failover; its run id differs from the one recorded) may hold data from before a
# write whose new versions it lost (persisted up to its last save) or never got (written while
# it was down): every cached answer is dropped, once per server. KEYS: the recorded run id, the
# generation, the catalog version, the catalog token. ARGV: their new values. Returns 1 when it
# dropped them.
CHECK_SERVER = """
local id = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
if not id or redis.call('GET', KEYS[1]) == id then return 0 end
redis.call('SET', KEYS[2], ARGV[1])
redis.call('SET', KEYS[3], ARGV[2])
redis.call('SET', KEYS[4], ARGV[3])
redis.call('SET', KEYS[1], id)
return 1
"""

IN_FLIGHT = b":w:"


def in_flight(value: bytes, now: float, bound: float) -> bool:
    """Whether a version value names a writer that marked it less than `bound` seconds ago."""
    _, marked, writers = value.partition(IN_FLIGHT)
    if not marked:
        return False
    since = now - bound
    for writer in writers.split(b","):
        try:
            if float(writer.rpartition(b"@")[2]) > since:
                return True
        except ValueError:  # not a mark of ours: ignored, as the scripts ignore it
            continue
    return False
