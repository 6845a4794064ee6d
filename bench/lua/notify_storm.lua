-- A storm of WeChat Pay notifications: every request posts the next signed notification
-- from the file the scenario wrote (BENCH_NOTIFY_FILE, one XML document per line), cycling,
-- so after the first pass every request is a duplicate the server must acknowledge once more.
local bodies = {}
for line in io.lines(os.getenv("BENCH_NOTIFY_FILE")) do
  if #line > 0 then bodies[#bodies + 1] = line end
end
local counter = 0

function init(args)
  counter = math.random(#bodies)
end

request = function()
  counter = counter % #bodies + 1
  return wrk.format("POST", "/notify/wechat/pay", { ["Content-Type"] = "text/xml" }, bodies[counter])
end
