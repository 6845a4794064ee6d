-- A storm of WeChat Pay v3 notifications: every request posts the next prepared delivery
-- from BENCH_NOTIFY_FILE (one "timestamp<TAB>nonce<TAB>signature<TAB>body" per line), each
-- signed afresh as WeChat signs a retry. After the first pass the copies are duplicates;
-- once the file wraps around they are replays, which the server must refuse.
local deliveries = {}
for line in io.lines(os.getenv("BENCH_NOTIFY_FILE")) do
  if #line > 0 then
    local ts, nonce, sig, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    deliveries[#deliveries + 1] = { ts = ts, nonce = nonce, sig = sig, body = body }
  end
end
local serial = os.getenv("BENCH_WECHATPAY_SERIAL")
local counter = 0
local threads = 0

-- Each thread walks its own stretch of the file, from a start that differs between wrk
-- runs (the warm-up and the measured run would otherwise send the same deliveries, the
-- second time as replays): every Lua state starts with the same random seed.
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end

function init(args)
  math.randomseed(os.time())
  local half = math.floor(#deliveries / 2)
  counter = ((id or 0) * half + math.random(#deliveries)) % #deliveries
end

request = function()
  counter = counter % #deliveries + 1
  local d = deliveries[counter]
  return wrk.format("POST", "/notify/wechat/v3/pay", {
    ["Content-Type"] = "application/json",
    ["Wechatpay-Timestamp"] = d.ts,
    ["Wechatpay-Nonce"] = d.nonce,
    ["Wechatpay-Signature"] = d.sig,
    ["Wechatpay-Serial"] = serial,
    ["Wechatpay-Signature-Type"] = "WECHATPAY2-SHA256-RSA2048",
  }, d.body)
end
