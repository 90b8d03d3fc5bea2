export const GENRES = [
  "Pop", "Rock", "Hip-Hop", "Jazz", "Classical", "Electronic", "Techno", "House", "Country", "R&B",
  "Reggae", "Metal", "Folk", "Blues", "Latin", "Indie", "Punk", "Soul", "Ambient", "K-Pop",
] as const;

export const FIRST_NAMES = [
  "Billy", "Cynthia", "Angela", "Daniel", "Anthony", "Jennifer", "Ashley", "Aaron", "Christopher", "Maria",
  "James", "Linda", "Robert", "Patricia", "Michael", "Barbara", "William", "Elizabeth", "David", "Susan",
  "Joseph", "Jessica", "Thomas", "Sarah", "Charles", "Karen", "Nina", "Omar", "Priya", "Yuki",
  "Lucas", "Amara", "Mateo", "Freya", "Kenji", "Leila", "Noah", "Zoe", "Ivan", "Chloe",
] as const;

export const LAST_NAMES = [
  "Fields", "Harris", "Snyder", "Shaw", "Williams", "Moore", "Chung", "Taylor", "Mccarthy", "Foley",
  "Vega", "Anderson", "Miller", "Jimenez", "Smith", "Johnson", "Brown", "Garcia", "Martinez", "Lee",
  "Walker", "Young", "King", "Wright", "Lopez", "Hill", "Scott", "Green", "Adams", "Baker",
  "Nakamura", "Okafor", "Patel", "Novak", "Rossi", "Dubois", "Schmidt", "Silva", "Kowalski", "Larsen",
] as const;

export const GENDERS = ["Male", "Female", "Non-binary", "Genderqueer", "Agender", "Genderfluid"] as const;

export const EMAIL_DOMAINS = ["example.com", "example.org", "mail.test", "yahoo.example", "music.example"] as const;

/** Filler words, like the original server's random names and genres. */
export const WORDS = [
  "whether", "they", "break", "audience", "other", "quite", "into", "authority", "around", "between",
  "leave", "garden", "policy", "season", "window", "river", "simple", "carry", "bright", "cold",
  "figure", "market", "listen", "moment", "report", "happy", "future", "north", "silver", "dream",
  "night", "paper", "story", "travel", "voice", "wonder", "yellow", "zero", "echo", "forest",
  "glass", "harbor", "island", "jungle", "kingdom", "lemon", "mirror", "ocean", "planet", "quiet",
] as const;
