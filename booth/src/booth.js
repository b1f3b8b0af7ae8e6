console.log("booth")
