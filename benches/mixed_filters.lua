-- wrk script: the catalogue with a different filter combination on most requests (22 districts × 9
-- topics × free places or not × 3 pages = 1,188 addresses), closer to real traffic than one address.
local districts = { "16051", "16052", "16053", "16054", "16055", "16061", "16062", "16063",
  "16064", "16065", "16066", "16067", "16068", "16069", "16070", "16071", "16072", "16073", "16074",
  "16075", "16076", "16077" }
local topics = { "smartphone-grundlagen", "tablet-grundlagen", "videotelefonie", "sicher-online-bezahlen",
  "sicher-im-netz", "behoerdengaenge-online", "ki-im-alltag", "fotos-und-nachrichten", "beteiligung-vor-ort" }
local n = 0

local base = "/kurse"

init = function()
  if wrk.path ~= "/" and wrk.path ~= "" then base = wrk.path end
end

setup = function(thread)
  thread:set("seed", math.random(1, 1e6))
end

request = function()
  n = n + 1
  local i = n * 7919 + (seed or 0)
  local path = string.format("%s?kreis=%s&thema=%s%s&seite=%d", base,
    districts[i % #districts + 1], topics[math.floor(i / 3) % #topics + 1],
    (i % 2 == 0) and "&frei=1" or "", i % 3 + 1)
  return wrk.format("GET", path)
end
