-- The release rush: every request books a random (resident, slot) pair from the file the
-- scenario wrote (BENCH_RUSH_FILE, lines "token slot_id"). No response() callback.
local pairs_ = {}
for line in io.lines(os.getenv("BENCH_RUSH_FILE")) do
  local token, slot = string.match(line, "^(%S+) (%S+)$")
  if token then pairs_[#pairs_ + 1] = { token, slot } end
end

function init(args)
  math.randomseed(os.time() + tonumber(string.sub(tostring({}), 8), 16))
end

request = function()
  local pick = pairs_[math.random(#pairs_)]
  return wrk.format("POST", "/api/v1/appointments", {
    ["Authorization"] = "Bearer " .. pick[1],
    ["Content-Type"] = "application/json",
  }, '{"slot_id":' .. pick[2] .. '}')
end
