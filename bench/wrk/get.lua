-- GETs of one path, or of PATHS (separated by |) in turn, with a bearer TOKEN; prints latency figures as JSON.
local token = os.getenv("TOKEN") or ""
local paths = {}
for p in string.gmatch(os.getenv("PATHS") or "/", "[^|]+") do table.insert(paths, p) end
local n = 0

function init(args)
  wrk.headers["Authorization"] = "Bearer " .. token
end

function request()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end

dofile((os.getenv("WRK_DIR") or "bench/wrk") .. "/report.lua")
