-- wrk script for bench/webhook_bench.py: signed Jira webhook bodies, each with its own delivery id.
-- every request its own delivery id: thread number (set by setup) + counter
local counter = 0

local threads = {}
function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end
function init(args)
  local f = io.open(os.getenv("BENCH_BODY"), "rb")
  body = f:read("*all")
  f:close()
  signature = os.getenv("BENCH_SIGNATURE")
end
function request()
  counter = counter + 1
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["X-Hub-Signature"] = signature
  headers["X-Atlassian-Webhook-Identifier"] = "wrk-" .. thread_id .. "-" .. counter
  return wrk.format("POST", nil, headers, body)
end
