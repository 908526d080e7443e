-- Check-ins of random clients of a seeded fleet. CLIENTS: how many ids (client-0 … client-N-1); CHANGE=1 makes every
-- check-in report another version (a fleet changing version), CHANGE=0 repeats what the client last said.
local clients = tonumber(os.getenv("CLIENTS") or "1000")
local change = os.getenv("CHANGE") == "1"
local token = os.getenv("TOKEN") or ""
local versions = { "3.59.127.0", "3.58.0.0", "1.2.2", "3.59.228.0", "2.0.0" }
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
end

function init(args)
  math.randomseed(seed * 7919 + os.time())
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
  local i = math.random(0, clients - 1)
  local v
  if change then v = versions[math.random(1, #versions)] else v = versions[(i % #versions) + 1] end
  local body = string.format('{"clientId":"client-%d","name":"Name %d","computer":"PC-%07d","ip":"10.%d.%d.%d","user":"user%d.name","version":"%s"}',
    i, i % 9973, i, math.floor(i / 65536) % 256, math.floor(i / 256) % 256, i % 256, i % 50021, v)
  return wrk.format(nil, "/agent/v1/checkin", nil, body)
end

dofile((os.getenv("WRK_DIR") or "bench/wrk") .. "/report.lua")
