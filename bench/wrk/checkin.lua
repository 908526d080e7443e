-- Check-ins of random clients of a seeded fleet. CLIENTS: how many ids (client-0 … client-N-1); CHANGE=1 makes every
-- check-in report another version (a fleet changing version), CHANGE=0 repeats what the client last said.
local clients = tonumber(os.getenv("CLIENTS") or "1000")
local change = os.getenv("CHANGE") == "1"
-- TOKEN=client: each request carries client-i's own credential (ufc.<base64url(id)>.<secret>, secret as
-- bench/scale.ts's benchSecret); any other TOKEN is sent as it is.
local token = os.getenv("TOKEN") or ""
local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

local function b64url(text)
  local out = {}
  local bits, value = 0, 0
  for k = 1, #text do
    value = value * 256 + text:byte(k)
    bits = bits + 8
    while bits >= 6 do
      bits = bits - 6
      local v = math.floor(value / 2 ^ bits) % 64
      out[#out + 1] = B64:sub(v + 1, v + 1)
    end
    value = value % (2 ^ bits)
  end
  if bits > 0 then
    local v = (value * 2 ^ (6 - bits)) % 64
    out[#out + 1] = B64:sub(v + 1, v + 1)
  end
  return table.concat(out)
end

local function clientToken(i)
  return "ufc." .. b64url("client-" .. i) .. "." .. string.format("scalebenchsecret%027d", i)
end
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
  if token ~= "client" then wrk.headers["Authorization"] = "Bearer " .. token end
end

function request()
  local i = math.random(0, clients - 1)
  local v
  if change then v = versions[math.random(1, #versions)] else v = versions[(i % #versions) + 1] end
  local body = string.format('{"clientId":"client-%d","name":"Name %d","computer":"PC-%07d","ip":"10.%d.%d.%d","user":"user%d.name","version":"%s"}',
    i, i % 9973, i, math.floor(i / 65536) % 256, math.floor(i / 256) % 256, i % 256, i % 50021, v)
  local headers = nil
  -- A headers table replaces wrk.headers for this request: the content type goes with it.
  if token == "client" then headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. clientToken(i) } end
  return wrk.format(nil, "/agent/v1/checkin", headers, body)
end

dofile((os.getenv("WRK_DIR") or "bench/wrk") .. "/report.lua")
