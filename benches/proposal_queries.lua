-- wrk script: the proposal search with a different query on most requests (40 words × 22 districts ×
-- 2 sort orders = 1,760 addresses), so the page cache rarely helps and the index does the work.
-- The path of the URL given to wrk chooses the page (`/vorschlaege` when none, or the JSON API
-- `/api/v1/proposals`, whose parameters have English names).
local words = { "glasfaser", "breitband", "mobilfunk", "funkloch", "wlan", "bürgeramt", "onlineantrag",
  "terminvergabe", "personalausweis", "bauantrag", "wohngeld", "serviceportal", "zulassung", "schule",
  "tablet", "kurs", "volkshochschule", "senioren", "rampe", "aufzug", "leichte sprache", "vorlesen",
  "gebärdensprache", "datenschutz", "passwort", "betrug", "phishing", "sicherheit", "bibliothek",
  "bus", "bahnhof", "marktplatz", "sprechstunde", "ausbau", "digital", "app", "formular", "netz",
  "glasfasr", "breitbnd" }
local districts = { "16051", "16052", "16053", "16054", "16055", "16061", "16062", "16063",
  "16064", "16065", "16066", "16067", "16068", "16069", "16070", "16071", "16072", "16073", "16074",
  "16075", "16076", "16077" }
local n = 0

-- Percent-encodes a query word (umlauts are two bytes in UTF-8), spaces as "+".
local function encode(s)
  return (string.gsub(string.gsub(s, "([^%w ])", function(c)
    return string.format("%%%02X", string.byte(c))
  end), " ", "+"))
end

local base, district_param, newest = "/vorschlaege", "kreis", "&sortierung=neueste"

init = function()
  if wrk.path ~= "/" and wrk.path ~= "" then base = wrk.path end
  if base:find("^/api/") then district_param, newest = "district", "&sort=newest" end
end

setup = function(thread)
  thread:set("seed", math.random(1, 1e6))
end

request = function()
  n = n + 1
  local i = n * 7919 + (seed or 0)
  local q = encode(words[i % #words + 1])
  local path = string.format("%s?q=%s&%s=%s%s", base, q, district_param,
    districts[math.floor(i / 5) % #districts + 1], (i % 2 == 0) and newest or "")
  return wrk.format("GET", path)
end
