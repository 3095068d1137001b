-- wrk script: the catalogue with a search text on every request, alone or with a period, on the
-- first or second page (20 words × 3 periods × 2 pages = 120 addresses). Words from course titles,
-- towns and organisations, and some that match nothing.
local words = { "smartphone", "tablet", "videotelefonie", "sicher", "online", "bezahlen", "fotos",
  "nachrichten", "ki", "alltag", "erfurt", "jena", "gera", "weimar", "nordhausen", "volkshochschule",
  "probierladen", "grundlagen", "zoom", "keinkurs" }
local periods = { "", "&von=2026-12-01&bis=2027-02-28", "&von=2027-01-01&bis=2027-01-31" }
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
  local path = string.format("%s?q=%s%s&seite=%d", base, words[i % #words + 1],
    periods[math.floor(i / 7) % #periods + 1], i % 2 + 1)
  return wrk.format("GET", path)
end
