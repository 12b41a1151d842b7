-- A workload for TierSpeedBench, run by upstream Lua 5.4 as `lua - N` with this file on stdin:
-- table, closure, string and integer work, each printed as a checksum so every engine's output
-- can be compared byte for byte. Written for this project; only the interpreter is upstream.
local n = tonumber(arg and arg[1]) or 9

-- permutations: the fannkuch flip count (maximum and alternating checksum) over all
-- permutations of 0..n-1, generated in the usual rotation order
local function fannkuch(n)
  local perm, perm1, count = {}, {}, {}
  local maxflips, checksum, permcount = 0, 0, 0
  for i = 0, n - 1 do perm1[i] = i end
  local r = n
  while true do
    while r ~= 1 do count[r - 1] = r; r = r - 1 end
    for i = 0, n - 1 do perm[i] = perm1[i] end
    local flips = 0
    local k = perm[0]
    while k ~= 0 do
      local i, j = 0, k
      while i < j do perm[i], perm[j] = perm[j], perm[i]; i = i + 1; j = j - 1 end
      flips = flips + 1
      k = perm[0]
    end
    if flips > maxflips then maxflips = flips end
    checksum = checksum + (permcount % 2 == 0 and flips or -flips)
    while true do
      if r == n then return maxflips, checksum end
      local perm0 = perm1[0]
      for i = 0, r - 1 do perm1[i] = perm1[i + 1] end
      perm1[r] = perm0
      count[r] = count[r] - 1
      if count[r] > 0 then break end
      r = r + 1
    end
    permcount = permcount + 1
  end
end

-- strings: format, concatenate, then scan back with a pattern
local function strings(count)
  local parts = {}
  for i = 1, count do parts[#parts + 1] = string.format("%d:%x", i, (i * 7919) % 65536) end
  local s = table.concat(parts, ",")
  local sum = 0
  for hex in s:gmatch("%d+:(%x+)") do sum = (sum + tonumber(hex, 16)) % 1000003 end
  return #s, sum
end

-- sorting: a linear congruential sequence through table.sort with a comparison closure
local function sorting(count)
  local a, x = {}, 12345
  for i = 1, count do x = (x * 1103515245 + 12345) % 2147483648; a[i] = x end
  table.sort(a, function(p, q) return p > q end)
  local h = 0
  for i = 1, count, 97 do h = (h * 31 + a[i]) % 1000000007 end
  return h
end

-- trees: allocation-heavy recursive structures
local function tree(depth)
  if depth == 0 then return {} end
  return { tree(depth - 1), tree(depth - 1) }
end
local function check(t)
  if t[1] == nil then return 1 end
  return 1 + check(t[1]) + check(t[2])
end

print("fannkuch", fannkuch(n))
print("strings", strings(n * 20000))
print("sorting", sorting(n * 20000))
local nodes = 0
for i = 1, n do nodes = nodes + check(tree(14)) end
print("trees", nodes)
