-- wrk script: booking POSTs through the JSON API, each with its own address, spread over the dates
-- listed in the DATE_IDS environment variable (comma-separated).
local ids = {}
for id in string.gmatch(os.getenv("DATE_IDS") or "", "[^,]+") do ids[#ids + 1] = id end
local counter = 0
local threads = 0

-- Runs once per thread in the main state: gives every thread its own tag, so addresses never repeat.
setup = function(thread)
  threads = threads + 1
  thread:set("thread_tag", tostring(threads) .. "-" .. tostring(os.time()))
end

request = function()
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  local body = string.format(
    '{"name":"Last Test","email":"last-%s-%d@bench.example","places":1}', thread_tag, counter)
  return wrk.format("POST", "/api/v1/dates/" .. id .. "/bookings",
    { ["Content-Type"] = "application/json" }, body)
end
