-- One request shape for every thread, read from the environment the harness sets:
--   BENCH_METHOD     GET, POST, ... (default GET)
--   BENCH_HEADERS    "Name: value" lines separated by newlines
--   BENCH_BODY_FILE  a file whose bytes are the request body
-- The path is part of the URL wrk is given. No response() callback: defining one makes wrk
-- parse every answer in Lua, which would slow the load generator, not the server.
wrk.method = os.getenv("BENCH_METHOD") or "GET"

local headers = os.getenv("BENCH_HEADERS")
if headers then
  for line in string.gmatch(headers, "[^\n]+") do
    local name, value = string.match(line, "^([^:]+):%s*(.*)$")
    if name then
      wrk.headers[name] = value
    end
  end
end

local body_file = os.getenv("BENCH_BODY_FILE")
if body_file and body_file ~= "" then
  local file = assert(io.open(body_file, "rb"))
  wrk.body = file:read("*a")
  file:close()
end
